print("tincd")
