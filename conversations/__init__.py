"""The conversation engine and its flows: pure functions of (person view, typed state, input, now)
-> (new state, replies, events).

engine.py routes a message; flow.py is the Flow protocol and flows.py the registry (a new flow is
a module, its `.mmd` diagram, and one line there); state.py stores each flow's state as
versioned JSON. No I/O here: the back end loads what the engine needs into views.py's types,
passes the deployment's default language in with the person, and stores what comes back."""
