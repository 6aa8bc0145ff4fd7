"""Bottom layer: errors, atomic writes, paths, params schema, table I/O, the estimator by
import path, the GitHub API client and the one hook into the team's code. Imports nothing above it."""
