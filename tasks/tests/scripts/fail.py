def inner():
    raise ValueError("the numbers do not add up")


print("about to fail")
try:
    inner()
except ValueError as exc:
    raise RuntimeError("report failed") from exc
