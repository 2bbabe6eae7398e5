from __future__ import annotations

from support.gitops_diff import merge_patch_drift


def test_a_default_added_to_a_map_is_not_drift() -> None:
    config = {"spec": {"order": 1}}
    live = {"spec": {"order": 1, "deletionPolicy": "Delete"}, "status": {"x": 1}}
    assert merge_patch_drift(config, live) == []


def test_a_default_added_inside_a_list_item_is_drift() -> None:
    config = {"spec": {"actions": {"variables": [{"name": "a", "path": "p", "value": "v"}]}}}
    live = {
        "spec": {
            "actions": {"variables": [{"name": "a", "path": "p", "type": "regex", "value": "v"}]}
        }
    }
    (drift,) = merge_patch_drift(config, live)
    assert drift.startswith("spec.actions.variables:")


def test_a_changed_scalar_a_missing_key_and_a_removed_key_are_drift() -> None:
    assert merge_patch_drift({"spec": {"a": 1}}, {"spec": {"a": 2}})
    assert merge_patch_drift({"spec": {"a": 1}}, {"spec": {}})
    assert merge_patch_drift({"spec": {}}, {"spec": {"a": 1}}, last_applied={"spec": {"a": 1}})
    assert merge_patch_drift({"spec": {"a": [1, 2]}}, {"spec": {"a": [2, 1]}})


def test_status_is_ignored() -> None:
    assert merge_patch_drift({"status": {"a": 1}}, {"status": {"a": 2}}) == []
