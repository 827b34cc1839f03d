# ast-options: --feature-version 3.4
async def f():
    x @= [y async for y in z]
