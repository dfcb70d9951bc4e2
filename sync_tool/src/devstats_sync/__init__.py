"""DevStats-compatible sync tool: fills the gha_* tables of each project database."""

__version__ = "0.1.0"
