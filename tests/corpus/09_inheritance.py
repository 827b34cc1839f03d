# Inheritance, method overriding and super().
class Animal:
    sound = "..."

    def __init__(self, name):
        self.name = name

    def speak(self):
        return f"{self.name} says {self.sound}"


class Dog(Animal):
    sound = "woof"


class Puppy(Dog):
    def speak(self):
        return super().speak() + " (quietly)"


for animal in [Animal("thing"), Dog("Rex"), Puppy("Bit")]:
    print(animal.speak())
print(isinstance(Puppy("x"), Animal), issubclass(Dog, Puppy))
print([cls.__name__ for cls in Puppy.__mro__])
