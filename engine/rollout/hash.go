package rollout

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// PodTemplateHash is the `rollouts-pod-template-hash` of a pod template: FNV-32a over
// its JSON encoding (plus the collision count), safe-encoded. Same algorithm as the
// controller (utils/hash), so ReplicaSet and AnalysisRun names match a real cluster's.
func PodTemplateHash(tpl *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, err := json.Marshal(tpl)
	if err != nil {
		// A decoded PodTemplateSpec always marshals.
		panic(err)
	}
	h.Write(b)
	if collisionCount != nil {
		buf := make([]byte, 8)
		binary.LittleEndian.PutUint32(buf, uint32(*collisionCount))
		h.Write(buf)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
