// (helpers shared by tests arrive with them)
