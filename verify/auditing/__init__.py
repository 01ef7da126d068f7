"""Audits of whole models: every parameter against its rule or its layer's default, pooled
by claim and layer type, and compared across parameters."""

from verify.auditing.auditor import ADAPTERS, adapter_for, assert_model_init, audit
from verify.auditing.comparison import ComparisonReport, PairRow, compare_models
from verify.auditing.parameters import ROLES, Parameter
from verify.auditing.report import AuditFinding, AuditGroup, AuditReport, AuditRow

__all__ = ["ADAPTERS", "ROLES", "AuditFinding", "AuditGroup", "AuditReport", "AuditRow",
           "ComparisonReport", "PairRow", "Parameter", "adapter_for", "assert_model_init",
           "audit", "compare_models"]
