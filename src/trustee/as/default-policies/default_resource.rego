# coco-ts default KBS resource policy: release resources through the `resource` plugin to any
# attested guest except one whose CPU evidence came from the sample (non-TEE) attester.
package policy

import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
	not input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
