"""mission layer: the scenario (phases, activities, waypoints), the sol planner, the run."""
