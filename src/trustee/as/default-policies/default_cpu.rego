# coco-ts default EAR appraisal policy for CPU evidence.
#
# It grades three trust-vector claims from the verifier's claims and the reference values registered
# in the RVPS (read with the query_reference_value extension). Values follow the EAR tiers:
# 2 and 3 are "affirming", 33/36 "warning", 97 "contraindicated"; unset claims stay 0 ("none").
# Without matching reference values nothing is affirmed.
package policy

import rego.v1

default executables := 33

default hardware := 97

default configuration := 36

trust_claims := {
	"executables": executables,
	"hardware": hardware,
	"configuration": configuration,
}

rv(name) := query_reference_value(name)

# ---- sample (development only) ----

executables := 3 if {
	input.sample.launch_digest in rv("launch_digest")
}

hardware := 2 if {
	input.sample.svn in rv("svn")
	input.sample.platform_version.major == rv("major_version")
	input.sample.platform_version.minor >= rv("minimum_minor_version")
}

configuration := 2 if {
	input.sample.debug == false
}

# ---- AMD SEV-SNP ----

executables := 3 if {
	input.snp.measurement in rv("snp_launch_measurement")
}

hardware := 2 if {
	input.snp.reported_tcb_bootloader in rv("snp_bootloader")
	input.snp.reported_tcb_microcode in rv("snp_microcode")
	input.snp.reported_tcb_snp in rv("snp_snp_svn")
	input.snp.reported_tcb_tee in rv("snp_tee_svn")
}

configuration := 2 if {
	snp_locked_down
	input.snp.platform_smt_enabled == rv("snp_smt_enabled")
	input.snp.platform_tsme_enabled == rv("snp_tsme_enabled")
	input.snp.policy_abi_major == rv("snp_guest_abi_major")
	input.snp.policy_abi_minor == rv("snp_guest_abi_minor")
	input.snp.policy_single_socket == rv("snp_single_socket")
	input.snp.policy_smt_allowed == rv("snp_smt_allowed")
} else := 3 if {
	snp_locked_down
}

snp_locked_down if {
	input.snp.policy_debug_allowed == false
	input.snp.policy_migrate_ma == false
}

# ---- Intel TDX ----

executables := 3 if {
	tdx_rtmrs_match
	tdx_kernel_matches
} else := 4 if {
	tdx_rtmrs_match
}

tdx_rtmrs_match if {
	input.tdx.quote.body.rtmr_1 in rv("rtmr_1")
	input.tdx.quote.body.rtmr_2 in rv("rtmr_2")
}

# The kernel (a boot-services application loaded from File(kernel)) and its command line
# (the LoadOptions event tag) were measured with the registered digests.
tdx_kernel_matches if {
	some kernel in input.tdx.uefi_event_logs
	kernel.type_name == "EV_EFI_BOOT_SERVICES_APPLICATION"
	"File(kernel)" in kernel.details.device_paths
	some kd in kernel.digests
	kd.digest == rv("tdvfkernel")
	some params in input.tdx.uefi_event_logs
	params.type_name == "EV_EVENT_TAG"
	params.details.string == "LOADED_IMAGE::LoadOptions"
	some pd in params.digests
	pd.digest == rv("tdvfkernelparams")
}

hardware := 2 if {
	input.tdx.quote.header.tee_type == "81000000"
	input.tdx.quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input.tdx.quote.body.mr_td in rv("mr_td")
	input.tdx.tcb_status == "UpToDate"
	input.tdx.collateral_expiration_status == "0"
}

configuration := 2 if {
	input.tdx.td_attributes.debug == false
	input.tdx.quote.body.xfam in rv("xfam")
}

# ---- Azure SEV-SNP confidential VM (vTPM) ----

executables := 3 if {
	input["az-snp-vtpm"].measurement in rv("measurement")
	input["az-snp-vtpm"].tpm.pcr11 in rv("snp_pcr11")
}

hardware := 2 if {
	input["az-snp-vtpm"].reported_tcb_bootloader in rv("tcb_bootloader")
	input["az-snp-vtpm"].reported_tcb_microcode in rv("tcb_microcode")
	input["az-snp-vtpm"].reported_tcb_snp in rv("tcb_snp")
	input["az-snp-vtpm"].reported_tcb_tee in rv("tcb_tee")
}

configuration := 2 if {
	input["az-snp-vtpm"].platform_smt_enabled in rv("smt_enabled")
	input["az-snp-vtpm"].platform_tsme_enabled in rv("tsme_enabled")
	input["az-snp-vtpm"].policy_abi_major in rv("abi_major")
	input["az-snp-vtpm"].policy_abi_minor in rv("abi_minor")
	input["az-snp-vtpm"].policy_single_socket in rv("single_socket")
	input["az-snp-vtpm"].policy_smt_allowed in rv("smt_allowed")
}

# ---- Azure TDX confidential VM (vTPM) ----

executables := 3 if {
	input["az-tdx-vtpm"].tpm.pcr11 in rv("tdx_pcr11")
}

hardware := 2 if {
	input["az-tdx-vtpm"].quote.header.tee_type == "81000000"
	input["az-tdx-vtpm"].quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input["az-tdx-vtpm"].quote.body.mr_td in rv("mr_td")
	input["az-tdx-vtpm"].tcb_status == "UpToDate"
}

configuration := 2 if {
	input["az-tdx-vtpm"].quote.body.xfam in rv("xfam")
}

# ---- plain TPM ----

hardware := 2 if {
	input.tpm
}

executables := 3 if {
	input.tpm.pcr11 in rv("tpm_pcr11")
	input.tpm.ak_public in rv("trusted_aks")
}

configuration := 0 if {
	input.tpm
}

# ---- IBM Secure Execution (the verifier has checked everything) ----

executables := 3 if {
	input.se
}

hardware := 2 if {
	input.se
}

configuration := 2 if {
	input.se
}

# ---- identifiers from the Kata agent policy in init-data ----
# Always present; each list only when the agent policy names at least one container.

extensions := [{
	"name": "ear.trustee.identifiers",
	"key": -18,
	"value": {"validated": object.union(image_ids, uid_ids)},
}]

agent_containers := [c | some c in input.init_data_claims.agent_policy_claims.containers]

container_images := [c.OCI.Annotations["io.kubernetes.cri.image-name"] | some c in agent_containers]

container_uids := [c.OCI.Process.User.UID | some c in agent_containers]

image_ids := {"container_images": container_images} if {
	count(container_images) > 0
} else := {}

uid_ids := {"container_uids": container_uids} if {
	count(container_uids) > 0
} else := {}
