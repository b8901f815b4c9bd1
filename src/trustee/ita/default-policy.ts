/**
 * The resource policy a KBS with `intel_ta` starts with (when none is stored yet). Upstream's default
 * (ours too, `default_resource.rego`) releases to every token whose CPU evidence is not the sample
 * attester's, which with ITA means every token ITA signed: its keys are shared by all its tenants, so
 * that would include guests of other tenants, debug TDs and stale TCBs. This default fails closed
 * instead: it releases through the `resource` plugin only when ITA matched every policy of
 * `attestation_service.policy_ids` (its `policy_ids_matched` claim; policy ids are the tenant's own),
 * and with no policy ids configured it releases nothing. Operators replace it with their own policy.
 * @module
 */

/** The Rego text of the default resource policy for the configured ITA policy ids. */
export function itaDefaultResourcePolicy(policyIds: readonly string[]): string {
  const required = policyIds.map((id) => JSON.stringify(id)).join(', ');
  return `# coco-ts default KBS resource policy with Intel Trust Authority (type = "intel_ta"): release through
# the resource plugin only when ITA matched every configured policy (attestation_service.policy_ids);
# with none configured, nothing is released. Replace it with a policy written against ITA's claims.
package policy

import rego.v1

default allow := false

required := {${required}}

matched contains m.id if {
	is_array(input.policy_ids_matched)
	some m in input.policy_ids_matched
}

allow if {
	data.plugin == "resource"
	count(required) > 0
	count(required - matched) == 0
}
`;
}
