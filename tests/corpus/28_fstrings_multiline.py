# Triple-quoted and multi-line f-strings.
title = "Report"
rows = [("apples", 3, 0.5), ("pears", 12, 0.75)]

header = f"""
== {title.upper()} ==
{'item':<8}{'qty':>5}{'price':>8}"""
print(header)
for item, qty, price in rows:
    print(f"{item:<8}{qty:>5}{price:>8.2f}")

total = sum(q * p for _, q, p in rows)
summary = (
    f"total: {total:.2f} "
    f"over {len(rows)} rows"
)
print(summary)
print(f'''{"it's"} {'"quoted"'}''')
