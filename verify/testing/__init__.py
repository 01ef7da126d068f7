"""What other projects' test suites import: the pytest plugin and hypothesis strategies."""
