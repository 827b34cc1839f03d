# Class attributes shared by all instances vs instance attributes.
class Robot:
    population = 0
    laws = ("do no harm", "obey", "survive")

    def __init__(self, name):
        self.name = name
        Robot.population += 1

    @classmethod
    def how_many(cls):
        return cls.population

    @staticmethod
    def law(n):
        return Robot.laws[n]


robots = [Robot(f"R{i}") for i in range(5)]
print(Robot.how_many(), robots[0].population)
print(Robot.law(0), robots[-1].name)
