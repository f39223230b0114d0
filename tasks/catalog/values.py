"""Read one typed value of a catalog entry's TOML table, with a message naming the key."""


def get(raw, key, kind, default):
    if key not in raw:
        return default
    value = raw[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"'{key}' must be {kind_name(kinds)}, not a boolean")
    if not isinstance(value, kinds):
        raise ValueError(f"'{key}' must be {kind_name(kinds)}, not {type(value).__name__}")
    return value


def kind_name(kinds):
    if set(kinds) == {int, float}:
        return "a number"
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    names.update({list: "a list", dict: "a table"})
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def seconds(raw, name):
    value = get(raw, name, (int, float), None)
    if value is not None and not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"{name!r} must be a number of seconds above 0")
    return None if value is None else float(value)


def byte_cap(raw, name):
    """An entry's cap on its artifacts in bytes; None: the global default."""
    value = get(raw, name, int, None)
    if value is not None and value < 0:
        raise ValueError(f"'{name}' must be a number of bytes, 0 or more")
    return value
