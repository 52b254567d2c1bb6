"""Plots of EDL flights and campaigns, and the mission report (report.html)."""
