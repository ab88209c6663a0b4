print("hello from the incident example")
