// Package thirdparty names the objects of other projects that Argo Rollouts reads
// and writes — the traffic routers' custom resources (Istio, SMI, the Gateway
// API, Ambassador, APISIX, Traefik, App Mesh) — and gives minimal
// CustomResourceDefinitions for them: every version the projects serve, no
// schema (x-kubernetes-preserve-unknown-fields), so that a real API server
// stores them as written. rollsim has no Go types for them: they are handled as
// *unstructured.Unstructured, as the controller handles them (it uses dynamic
// clients for all of them).
package thirdparty

import (
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// Kind is one third-party kind, with the versions its CRD serves; the first is
// the version the controller uses by default (its --istio-api-version and
// similar flags), the last the storage version.
type Kind struct {
	Group, Kind, Plural string
	Versions            []string
}

// GVK of the kind at version v.
func (k Kind) GVK(v string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: k.Group, Version: v, Kind: k.Kind}
}

// The kinds rollsim serves.
var (
	IstioVirtualService   = Kind{"networking.istio.io", "VirtualService", "virtualservices", []string{"v1alpha3", "v1beta1", "v1"}}
	IstioDestinationRule  = Kind{"networking.istio.io", "DestinationRule", "destinationrules", []string{"v1alpha3", "v1beta1", "v1"}}
	SMITrafficSplit       = Kind{"split.smi-spec.io", "TrafficSplit", "trafficsplits", []string{"v1alpha1", "v1alpha2", "v1alpha3"}}
	HTTPRoute             = Kind{"gateway.networking.k8s.io", "HTTPRoute", "httproutes", []string{"v1", "v1beta1"}}
	AmbassadorMapping     = Kind{"getambassador.io", "Mapping", "mappings", []string{"v2", "v3alpha1"}}
	ApisixRoute           = Kind{"apisix.apache.org", "ApisixRoute", "apisixroutes", []string{"v2"}}
	TraefikService        = Kind{"traefik.io", "TraefikService", "traefikservices", []string{"v1alpha1"}}
	TraefikServiceLegacy  = Kind{"traefik.containo.us", "TraefikService", "traefikservices", []string{"v1alpha1"}}
	AppMeshVirtualService = Kind{"appmesh.k8s.aws", "VirtualService", "virtualservices", []string{"v1beta2"}}
	AppMeshVirtualRouter  = Kind{"appmesh.k8s.aws", "VirtualRouter", "virtualrouters", []string{"v1beta2"}}
	AppMeshVirtualNode    = Kind{"appmesh.k8s.aws", "VirtualNode", "virtualnodes", []string{"v1beta2"}}
)

// Kinds lists them all.
var Kinds = []Kind{IstioVirtualService, IstioDestinationRule, SMITrafficSplit, HTTPRoute, AmbassadorMapping,
	ApisixRoute, TraefikService, TraefikServiceLegacy, AppMeshVirtualService, AppMeshVirtualRouter, AppMeshVirtualNode}

// Served reports whether gvk is one of the kinds at a version its CRD serves.
func Served(gvk schema.GroupVersionKind) bool {
	for _, k := range Kinds {
		if k.Group == gvk.Group && k.Kind == gvk.Kind {
			for _, v := range k.Versions {
				if v == gvk.Version {
					return true
				}
			}
		}
	}
	return false
}

// GVKs are every served group/version/kind.
func GVKs() []schema.GroupVersionKind {
	var out []schema.GroupVersionKind
	for _, k := range Kinds {
		for _, v := range k.Versions {
			out = append(out, k.GVK(v))
		}
	}
	return out
}

// CRDs are the minimal definitions a real API server needs to serve the kinds.
func CRDs() []*apiextensionsv1.CustomResourceDefinition {
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(Kinds))
	for _, k := range Kinds {
		crd := &apiextensionsv1.CustomResourceDefinition{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: k.Plural + "." + k.Group},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: k.Group,
				Names: apiextensionsv1.CustomResourceDefinitionNames{
					Plural: k.Plural, Singular: strings.ToLower(k.Kind), Kind: k.Kind, ListKind: k.Kind + "List",
				},
				Scope: apiextensionsv1.NamespaceScoped,
			},
		}
		if strings.HasSuffix(k.Group, ".k8s.io") {
			// Groups under k8s.io are protected: their CRDs name the approving
			// enhancement (the Gateway API's own CRDs carry this one).
			crd.Annotations = map[string]string{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/2466"}
		}
		for i, v := range k.Versions {
			crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
				Name: v, Served: true, Storage: i == len(k.Versions)-1,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			})
		}
		out = append(out, crd)
	}
	return out
}
