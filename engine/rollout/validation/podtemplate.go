package validation

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validatePodTemplate is the part of Kubernetes' ValidatePodTemplateSpecForReplicaSet
// (k8s.io/kubernetes pkg/apis/apps/validation) that Rollout manifests trip in
// practice, with its paths and messages: the selector must match the template labels;
// labels and annotations must be valid; there must be containers, each with a valid,
// unique name and an image; container ports must be valid; restartPolicy must be
// Always (after the API defaulting upstream applies first, so unset is Always);
// activeDeadlineSeconds and ephemeral containers are refused.
//
// Not reproduced (k8s.io/kubernetes is not a dependency): the remaining PodSpec rules
// (volumes, env, probes, resources, security context, affinity, ...). Manifests that
// pass `kubectl apply` already satisfy them, since the API server runs the same rules
// on every Pod.
func validatePodTemplate(t *corev1.PodTemplateSpec, selector labels.Selector, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !selector.Empty() && !selector.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, metavalidation.ValidateLabels(t.Labels, fld.Child("labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, fld.Child("annotations"))...)

	spec := fld.Child("spec")
	errs = append(errs, validateContainers(t.Spec.InitContainers, spec.Child("initContainers"), false)...)
	errs = append(errs, validateContainers(t.Spec.Containers, spec.Child("containers"), true)...)

	switch t.Spec.RestartPolicy {
	case "", corev1.RestartPolicyAlways:
	default:
		errs = append(errs, field.NotSupported(spec.Child("restartPolicy"), t.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(spec.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"))
	}
	if len(t.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(spec.Child("ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return errs
}

func validateContainers(cs []corev1.Container, fld *field.Path, required bool) field.ErrorList {
	if len(cs) == 0 {
		if required {
			return field.ErrorList{field.Required(fld, "")}
		}
		return nil
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range cs {
		p := fld.Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsDNS1123Label(c.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), c.Name, msg))
			}
		}
		if c.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		errs = append(errs, validatePorts(c.Ports, p.Child("ports"))...)
		if seen[c.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		seen[c.Name] = true
	}
	return errs
}

func validatePorts(ports []corev1.ContainerPort, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		p := fld.Index(i)
		if port.Name != "" {
			for _, msg := range utilvalidation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), port.Name, msg))
			}
			if names[port.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(p.Child("containerPort"), ""))
		} else if msgs := utilvalidation.IsValidPortNum(int(port.ContainerPort)); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("containerPort"), port.ContainerPort, strings.Join(msgs, "; ")))
		}
		if port.HostPort != 0 {
			if msgs := utilvalidation.IsValidPortNum(int(port.HostPort)); len(msgs) > 0 {
				errs = append(errs, field.Invalid(p.Child("hostPort"), port.HostPort, strings.Join(msgs, "; ")))
			}
		}
		switch port.Protocol {
		case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs = append(errs, field.NotSupported(p.Child("protocol"), port.Protocol, []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}))
		}
	}
	return errs
}
