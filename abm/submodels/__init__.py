"""One module per part of the weekly schedule (see docs/ODD.md, "Process overview and scheduling")."""
