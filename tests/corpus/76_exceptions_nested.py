# Nested try blocks, exception chaining, bare raise, and handlers binding names.
class AppError(Exception):
    pass


def parse(text):
    try:
        try:
            return int(text)
        except ValueError as exc:
            raise AppError(f"not a number: {text!r}") from exc
        finally:
            print("parsed", text)
    except AppError:
        print("re-raising")
        raise
    except (TypeError, AttributeError) as err:
        print("wrong type", type(err).__name__)
        return None


for value in ["12", None]:
    print(parse(value))
try:
    parse("x")
except AppError as e:
    print("caught", e, type(e.__cause__).__name__)
