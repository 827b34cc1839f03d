# super(), class-level names, properties with setters, staticmethod/classmethod, __slots__.
class Base:
    registry = []
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name
        Base.registry.append(name)

    def greet(self):
        return f"hello {self.name}"


class Child(Base):
    __slots__ = ("_age",)

    def __init__(self, name, age):
        super().__init__(name)
        self._age = age

    @property
    def age(self):
        return self._age

    @age.setter
    def age(self, value):
        if value < 0:
            raise ValueError("negative age")
        self._age = value

    def greet(self):
        return super().greet() + f" ({self.__private()})"

    def __private(self):
        return self._age

    @staticmethod
    def kind():
        return "child"

    @classmethod
    def make(cls, name):
        return cls(name, 0)


c = Child.make("ada")
c.age = 36
print(c.greet(), c.age, Child.kind(), Base.registry)
