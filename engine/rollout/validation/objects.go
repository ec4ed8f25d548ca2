package validation

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// ObjectsOf sorts manifests into the Objects the reference validation takes;
// kinds it does not read are left out.
func ObjectsOf(manifests []client.Object) Objects {
	var objs Objects
	for _, o := range manifests {
		switch x := o.(type) {
		case *v1alpha1.AnalysisTemplate:
			objs.AnalysisTemplates = append(objs.AnalysisTemplates, x)
		case *v1alpha1.ClusterAnalysisTemplate:
			objs.ClusterAnalysisTemplates = append(objs.ClusterAnalysisTemplates, x)
		case *corev1.Service:
			objs.Services = append(objs.Services, x)
		case *networkingv1.Ingress:
			objs.Ingresses = append(objs.Ingresses, x)
		case *unstructured.Unstructured:
			gvk := x.GroupVersionKind()
			switch {
			case gvk.Group == "networking.istio.io" && gvk.Kind == "VirtualService":
				objs.VirtualServices = append(objs.VirtualServices, x)
			case gvk.Group == "getambassador.io" && gvk.Kind == "Mapping":
				objs.AmbassadorMappings = append(objs.AmbassadorMappings, x)
			case gvk.Group == "appmesh.k8s.aws" && gvk.Kind == "VirtualService":
				objs.AppMeshVirtualServices = append(objs.AppMeshVirtualServices, x)
			case gvk.Group == "appmesh.k8s.aws" && gvk.Kind == "VirtualRouter":
				objs.AppMeshVirtualRouters = append(objs.AppMeshVirtualRouters, x)
			}
		}
	}
	return objs
}
