# A class with methods, __repr__ and __eq__.
class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount
        return self

    def __repr__(self):
        return f"Account({self.owner!r}, {self.balance})"

    def __eq__(self, other):
        return self.balance == other.balance


acct = Account("Ada")
for i in range(10_000):
    acct.deposit(i % 5)
print(acct)
print(acct == Account("Bob", acct.balance))
