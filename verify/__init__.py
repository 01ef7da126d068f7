"""initproof.verify: statistical checks of initializers against derive."""
