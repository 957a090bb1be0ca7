"""Expected error lines of tests/fixtures/bad/*.yaml, after "FILE" (shared by the loader and CLI tests)."""

BAD = {
    "unknown_key": [":51: policies[1].threshhold: unknown key 'threshhold'; did you mean 'threshold'?"],
    "out_of_range": [":51: policies[1].threshold: must be between 0 and 1, got 1.7"],
    "shares_sum": [":15: traffic.intents: shares must sum to 1, got 0.9"],
    "unknown_model": [":46: policies[0].model: unknown model 'capabel' (models: cheap, capable)"],
    "bad_kind": [":48: policies[1].kind: unknown kind 'pre-route' "
                 "(valid kinds: single, pre_route, soft_threshold, cascade, oracle, random)"],
    "duplicate_key": [":8: users.mau: duplicate key 'mau'"],
    "wrong_type": [":8: users.queries_per_user_per_day: expected a number, got 'abc'"],
    "missing_field": [":44: policies[0].model: required field missing"],
    "invalid_yaml": [":5: invalid YAML: mapping values are not allowed here (column 12)"],
    "not_mapping": [":2: top level must be a mapping of scenario keys, got a list"],
    "not_utf8": [":2: not UTF-8 text (byte 0xe9)"],
    "empty": [": scenario file is empty"],
}
