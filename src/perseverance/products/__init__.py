"""Product descriptions: PDS4-style XML labels beside the mission's product files."""

from perseverance.products.pds4 import label_path, logical_identifier, write_label

__all__ = ["label_path", "logical_identifier", "write_label"]
