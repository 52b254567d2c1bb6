"""The surface mission: the scenario, the mission clock, the sol planner, surface
operations and the runner that commits sol by sol and resumes."""
