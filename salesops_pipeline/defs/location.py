"""The code location's Settings, built once when Dagster loads the definitions.

A process serves one code location and its environment does not change while it runs, so every
module of defs/ (schedules, sensors, partitions, resources, loggers) reads this one instance
instead of validating the environment again (it was built seven times per load before).
Sensors that must see the environment of the moment (the alerts, which tests reconfigure)
build their own at tick time.
"""

from salesops_pipeline.settings import Settings

SETTINGS = Settings()
