package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/markwatch/markwatch/config"
)

// The Kubernetes objects the tests read, with only the fields they check.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		// Deployment, StatefulSet
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template             podTemplate `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
		// Service (selector is a plain map there, read from raw)
		Type                     string `yaml:"type"`
		ClusterIP                string `yaml:"clusterIP"`
		ExternalName             string `yaml:"externalName"`
		PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
		Ports                    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		// HorizontalPodAutoscaler
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
	} `yaml:"spec"`
	serviceSelector map[string]string
	file            string
}

type podTemplate struct {
	Metadata struct {
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		SecurityContext struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    int   `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			EmptyDir              any `yaml:"emptyDir"`
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []envVar `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type envVar struct {
	Name      string `yaml:"name"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// loadK8s reads the kustomization and every resource it lists.
func loadK8s(t *testing.T) (objects []*k8sObject, kustomization map[string]any) {
	t.Helper()
	readOne(t, "k8s/kustomization.yaml", &kustomization)
	resources, _ := kustomization["resources"].([]any)
	listed := map[string]bool{}
	for _, r := range resources {
		name := fmt.Sprint(r)
		listed[name] = true
		path := filepath.Join("k8s", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", name, err)
			continue
		}
		for i, doc := range strings.Split("\n"+string(data), "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			o := &k8sObject{file: fmt.Sprintf("%s (document %d)", path, i+1)}
			if err := yaml.Unmarshal([]byte(doc), o); err != nil {
				t.Fatalf("%s: %v", o.file, err)
			}
			var raw struct {
				Spec struct {
					Selector any `yaml:"selector"`
				} `yaml:"spec"`
			}
			_ = yaml.Unmarshal([]byte(doc), &raw)
			if o.Kind == "Service" {
				o.serviceSelector = map[string]string{}
				if m, ok := raw.Spec.Selector.(map[string]any); ok {
					for k, v := range m {
						o.serviceSelector[k] = fmt.Sprint(v)
					}
				}
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: apiVersion, kind and metadata.name are required", o.file)
			}
			objects = append(objects, o)
		}
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !listed[base] {
			t.Errorf("k8s/%s is not listed in kustomization.yaml resources", base)
		}
	}
	return objects, kustomization
}

func find(objects []*k8sObject, kind, name string) *k8sObject {
	for _, o := range objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	return nil
}

// workload finds a Deployment or StatefulSet by name.
func workload(objects []*k8sObject, name string) *k8sObject {
	if o := find(objects, "Deployment", name); o != nil {
		return o
	}
	return find(objects, "StatefulSet", name)
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKubernetesManifests: workloads run markwatch with real flags, as
// non-root on a read-only root filesystem, with resources and /healthz and
// /readyz probes on the port they listen on; workers scale (HPA), schedulers
// have two replicas, serve keeps its data on a claim, Redis is an external
// Service, its URL a Secret; and Prometheus (prometheus-k8s.yml) resolves a
// headless Service for every component on its metrics port.
func TestKubernetesManifests(t *testing.T) {
	objects, kustomization := loadK8s(t)
	cli := loadCLI(t)
	if kustomization["namespace"] != "markwatch" {
		t.Errorf("kustomization.yaml: namespace %v, want markwatch (prometheus-k8s.yml resolves *.markwatch.svc)", kustomization["namespace"])
	}

	listen := map[string]int{} // component → metrics port
	for _, o := range objects {
		if o.Kind != "Deployment" && o.Kind != "StatefulSet" {
			continue
		}
		pod := o.Spec.Template
		component := pod.Metadata.Labels["app.kubernetes.io/component"]
		if !subset(o.Spec.Selector.MatchLabels, pod.Metadata.Labels) {
			t.Errorf("%s: %s selector %v does not match its pod labels %v", o.file, o.Metadata.Name, o.Spec.Selector.MatchLabels, pod.Metadata.Labels)
		}
		if sc := pod.Spec.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == 0 {
			t.Errorf("%s: pod securityContext must set runAsNonRoot: true and a non-zero runAsUser", o.file)
		}
		volumes := map[string]bool{}
		for _, v := range pod.Spec.Volumes {
			volumes[v.Name] = true
		}
		for _, vct := range o.Spec.VolumeClaimTemplates {
			volumes[vct.Metadata.Name] = true
		}
		for _, c := range pod.Spec.Containers {
			where := fmt.Sprintf("%s: container %s", o.file, c.Name)
			if err := cli.validate(c.Args); err != nil {
				t.Errorf("%s: args %q: %v", where, c.Args, err)
			}
			if sub := subcommand(c.Args); sub != component {
				t.Errorf("%s: runs %q, its component label says %q", where, sub, component)
			}
			sec := c.SecurityContext
			if sec.ReadOnlyRootFilesystem == nil || !*sec.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem: true expected", where)
			}
			if sec.AllowPrivilegeEscalation == nil || *sec.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation: false expected", where)
			}
			if !slices.Contains(sec.Capabilities.Drop, "ALL") {
				t.Errorf("%s: capabilities must drop ALL", where)
			}
			for _, r := range []string{"cpu", "memory"} {
				if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
					t.Errorf("%s: resources.requests and limits for %s expected", where, r)
				}
			}
			portText := listenPort(c.Args)
			port, _ := strconv.Atoi(portText)
			if !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "0.0.0.0:") }) {
				t.Errorf("%s: must listen on 0.0.0.0 to be probed and scraped, args %q", where, c.Args)
			}
			listen[component] = port
			portNames := map[string]int{}
			for _, p := range c.Ports {
				portNames[p.Name] = p.ContainerPort
			}
			if !slices.Contains(mapValues(portNames), port) {
				t.Errorf("%s: listens on %s but declares ports %v", where, portText, portNames)
			}
			for _, pr := range []struct {
				name string
				p    *probe
				path string
			}{{"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
				if pr.p == nil || pr.p.HTTPGet == nil {
					t.Errorf("%s: %s with httpGet %s expected", where, pr.name, pr.path)
					continue
				}
				if pr.p.HTTPGet.Path != pr.path {
					t.Errorf("%s: %s path %q, want %s", where, pr.name, pr.p.HTTPGet.Path, pr.path)
				}
				probePort := portNames[fmt.Sprint(pr.p.HTTPGet.Port)]
				if n, err := strconv.Atoi(fmt.Sprint(pr.p.HTTPGet.Port)); err == nil {
					probePort = n
				}
				if probePort != port {
					t.Errorf("%s: %s on port %v, the process listens on %d", where, pr.name, pr.p.HTTPGet.Port, port)
				}
			}
			if a := pod.Metadata.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != portText {
				t.Errorf("%s: pod annotations prometheus.io/scrape \"true\" and prometheus.io/port %q expected, got %v", where, portText, a)
			}
			for _, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					t.Errorf("%s: mounts undeclared volume %s", where, m.Name)
				}
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m volumeMount) bool { return m.MountPath == "/tmp" }) {
				t.Errorf("%s: a writable /tmp (emptyDir) is expected with a read-only root", where)
			}
			secretURL := slices.ContainsFunc(c.Env, func(e envVar) bool {
				return e.Name == "REDIS_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
					find(objects, "Secret", e.ValueFrom.SecretKeyRef.Name) != nil
			})
			if !secretURL || !slices.Contains(c.Args, "$(REDIS_URL)") {
				t.Errorf("%s: the Redis URL must come from a Secret (env REDIS_URL, --redis $(REDIS_URL))", where)
			}
		}
	}

	worker := find(objects, "Deployment", "markwatch-worker")
	scheduler := find(objects, "Deployment", "markwatch-scheduler")
	serve := find(objects, "StatefulSet", "markwatch-serve")
	if worker == nil || scheduler == nil || serve == nil {
		t.Fatalf("want Deployments markwatch-worker, markwatch-scheduler and StatefulSet markwatch-serve")
	}
	hpa := find(objects, "HorizontalPodAutoscaler", "markwatch-worker")
	if hpa == nil || hpa.Spec.ScaleTargetRef.Name != "markwatch-worker" || hpa.Spec.MaxReplicas <= hpa.Spec.MinReplicas {
		t.Error("a HorizontalPodAutoscaler must scale the markwatch-worker Deployment")
	}
	if r := scheduler.Spec.Replicas; r == nil || *r < 2 {
		t.Error("markwatch-scheduler: replicas >= 2 expected (one Redis lock, a standby)")
	}
	if r := serve.Spec.Replicas; r == nil || *r != 1 {
		t.Error("markwatch-serve: exactly 1 replica (SQLite has one writer)")
	}
	if len(serve.Spec.VolumeClaimTemplates) == 0 {
		t.Error("markwatch-serve: a volumeClaimTemplate for its data is expected")
	} else {
		c := serve.Spec.Template.Spec.Containers[0]
		claim := serve.Spec.VolumeClaimTemplates[0].Metadata.Name
		dataDir := c.Args[slices.Index(c.Args, "--data")+1]
		if !slices.ContainsFunc(c.VolumeMounts, func(m volumeMount) bool { return m.Name == claim && m.MountPath == dataDir }) {
			t.Errorf("markwatch-serve: claim %s must be mounted on its --data directory %s", claim, dataDir)
		}
	}
	if redis := find(objects, "Service", "redis"); redis == nil || redis.Spec.Type != "ExternalName" || redis.Spec.ExternalName == "" {
		t.Error("Redis must be referenced as an ExternalName Service named redis")
	}

	// Prometheus's k8s scrape config resolves headless Services that select
	// each component's pods on their metrics port.
	sc := loadScrapeConfig(t, "prometheus/prometheus-k8s.yml")
	for component, port := range listen {
		j := sc.job("markwatch-" + component)
		if j == nil {
			t.Errorf("prometheus-k8s.yml: no job markwatch-%s", component)
			continue
		}
		for _, target := range j.targets() {
			host, p, _ := strings.Cut(target, ":")
			svcName, rest, _ := strings.Cut(host, ".")
			if !strings.HasPrefix(rest, "markwatch.svc") {
				t.Errorf("prometheus-k8s.yml: %s: target %s is not in namespace markwatch", j.JobName, target)
			}
			svc := find(objects, "Service", svcName)
			if svc == nil {
				t.Errorf("prometheus-k8s.yml: %s resolves Service %s, which the manifests do not define", j.JobName, svcName)
				continue
			}
			if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
				t.Errorf("%s: Service %s must be headless with publishNotReadyAddresses so every pod is scraped", svc.file, svcName)
			}
			if p != strconv.Itoa(port) {
				t.Errorf("prometheus-k8s.yml: %s scrapes port %s, %s listens on %d", j.JobName, p, component, port)
			}
			pods := workload(objects, "markwatch-"+component)
			if pods == nil || !subset(svc.serviceSelector, pods.Spec.Template.Metadata.Labels) {
				t.Errorf("%s: Service %s selector %v does not select the %s pods", svc.file, svcName, svc.serviceSelector, component)
			}
		}
	}
	for _, component := range []string{"worker", "scheduler", "serve"} {
		if _, ok := listen[component]; !ok {
			t.Errorf("no workload runs markwatch %s", component)
		}
	}
}

func mapValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestConfigMapConfigLoads loads the ConfigMap's markwatch.yaml as the pods
// do, with the image's /etc/markwatch (the Dockerfile's COPY lines) mapped
// back to the repository's configs/, and checks that every location it names
// holds what markwatch will read there.
func TestConfigMapConfigLoads(t *testing.T) {
	objects, _ := loadK8s(t)
	cm := find(objects, "ConfigMap", "markwatch-config")
	if cm == nil {
		t.Fatal("no ConfigMap markwatch-config")
	}
	var raw struct {
		Data map[string]string `yaml:"data"`
	}
	data, err := os.ReadFile("k8s/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	text := raw.Data["markwatch.yaml"]
	if text == "" {
		t.Fatal("ConfigMap markwatch-config has no markwatch.yaml")
	}
	// Where the Dockerfile puts the repository's config files in the image.
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	copies := map[string]string{} // image path → repository path
	for _, m := range regexp.MustCompile(`(?m)^COPY ((?:configs/\S*\s+)+)(/etc/markwatch/\S*)\s*$`).FindAllStringSubmatch(string(dockerfile), -1) {
		dst := m[2]
		for _, src := range strings.Fields(m[1]) {
			abs, err := filepath.Abs(filepath.Join(repoRoot, src))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(dst, "/") && !strings.HasSuffix(src, "/") {
				copies[dst+filepath.Base(src)] = abs
			} else {
				copies[strings.TrimSuffix(dst, "/")] = abs
			}
		}
	}
	for _, key := range []string{"sites", "marks", "signals", "sweeps"} {
		m := regexp.MustCompile(`(?m)^` + key + `:\s*(\S+)`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("ConfigMap markwatch.yaml: %s not set (relative paths would resolve under /config)", key)
			continue
		}
		local, ok := copies[m[1]]
		if !ok {
			t.Errorf("ConfigMap markwatch.yaml: %s: %s is not a path the Dockerfile copies into the image (copies: %v)", key, m[1], copies)
			continue
		}
		text = strings.ReplaceAll(text, m[1], local)
	}
	file := filepath.Join(t.TempDir(), "markwatch.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatalf("ConfigMap markwatch.yaml: %v", err)
	}
	for name, loc := range map[string]config.Location{
		"sites": cfg.SitesLocation(), "marks": cfg.MarksLocation(),
		"signals": cfg.SignalsLocation(), "sweeps": cfg.SweepsLocation(),
	} {
		files, err := loc.Files()
		if err != nil || len(files) == 0 {
			t.Errorf("ConfigMap markwatch.yaml: %s at %s: %d files, %v", name, loc, len(files), err)
		}
	}
}
