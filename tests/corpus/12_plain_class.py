# A plain data-holding class written by hand (no dataclasses).
class Card:
    __slots__ = ("rank", "suit")

    def __init__(self, rank, suit):
        self.rank = rank
        self.suit = suit

    def __repr__(self):
        return f"{self.rank}{self.suit}"

    def __lt__(self, other):
        return self.rank < other.rank


deck = [Card(rank, suit) for suit in "SH" for rank in range(2, 6)]
print(sorted(deck, key=lambda c: (c.rank, c.suit)))
print(min(deck), max(deck))
