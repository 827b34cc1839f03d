# match with literal patterns and a wildcard.
def http_status(code):
    match code:
        case 200:
            return "OK"
        case 404:
            return "Not Found"
        case 418:
            return "I'm a teapot"
        case None:
            return "no code"
        case _:
            return "something else"


for code in [200, 404, 418, None, 500]:
    print(code, http_status(code))
