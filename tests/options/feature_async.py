# ast-options: --feature-version 3.4
async def f():
    pass


z = 1
