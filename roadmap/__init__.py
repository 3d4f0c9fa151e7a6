"""The public roadmap, milestones, releases and the changelog."""
