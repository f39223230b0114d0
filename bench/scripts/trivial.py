print("hello from a trivial script")
