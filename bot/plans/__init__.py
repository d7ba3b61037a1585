"""Each project's plan (三明确): stage, investment, milestones (节点), and being behind it."""
