# coco-ts default EAR appraisal policy for GPU-class evidence (sampledevice, NVIDIA).
# Same tiers as the CPU policy; hardware is affirmed only against registered reference values.
package policy

import rego.v1

default hardware := 97

default executables := 33

default configuration := 36

trust_claims := {
	"executables": executables,
	"hardware": hardware,
	"configuration": configuration,
}

rv(name) := query_reference_value(name)

# ---- sampledevice (development only) ----

hardware := 2 if {
	input.sampledevice.svn in rv("device_svn")
}

executables := 3 if {
	input.sampledevice.launch_digest in rv("device_launch_digest")
}

configuration := 2 if {
	input.sampledevice.debug == false
}

# ---- NVIDIA (claims from local verification or NRAS) ----

hardware := 2 if {
	input.nvidia["x-nvidia-gpu-vbios-version"] in rv("allowed_vbios_versions")
	input.nvidia["x-nvidia-gpu-driver-version"] in rv("allowed_driver_versions")
}

executables := 3 if {
	input.nvidia.measres == "success"
}

configuration := 2 if {
	input.nvidia.secboot == true
	input.nvidia.dbgstat == "disabled"
}
