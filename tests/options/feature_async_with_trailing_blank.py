# ast-options: --feature-version 3.4
async def f():
    async with a:
        pass


