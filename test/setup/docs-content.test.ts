// What the deployment docs must say, checked against the manifests: the registry retag reaches
// every overlay's image, and each recipe says when 127.0.0.1:30007 works and what to use instead.
import t from 'tap'
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { MANIFESTS, REPO, findKubectl, render } from '../manifests/render.ts'

const deploy = readFileSync(join(REPO, 'docs/deploy.md'), 'utf8')

t.test('deploy.md retags the image in every overlay that pins one, and every workload then pulls the registry image', { skip: findKubectl() === undefined ? 'kubectl not found: cannot render (not a Debian package, so a skip even in CI)' : false }, async (t) => {
  const retagged = [...deploy.matchAll(/\(cd manifests\/overlays\/([\w-]+) && kustomize edit set image lanner=(\S+)\)/g)].map((m) => ({ overlay: m[1] as string, image: m[2] as string }))
  const overlays = readdirSync(join(MANIFESTS, 'overlays'))
  const pinning = overlays.filter((o) => (parse(readFileSync(join(MANIFESTS, 'overlays', o, 'kustomization.yaml'), 'utf8')) as { images?: unknown }).images !== undefined)
  t.same(retagged.map((r) => r.overlay).sort(), pinning.sort(), 'one retag command per overlay with its own images: entry')
  const kubectl = findKubectl()
  if (kubectl === undefined) return
  // do what the commands do (kustomize edit set image = the images: entry's newName/newTag) on a copy
  const copy = mkdtempSync(join(tmpdir(), 'lanner-retag-'))
  cpSync(MANIFESTS, join(copy, 'manifests'), { recursive: true })
  for (const { overlay, image } of retagged) {
    const file = join(copy, 'manifests/overlays', overlay, 'kustomization.yaml')
    const k = parse(readFileSync(file, 'utf8')) as { images: Array<{ name: string, newName?: string, newTag?: string }> }
    const [name, tag] = image.split(':') as [string, string]
    k.images = k.images.map((i) => i.name === 'lanner' ? { name: 'lanner', newName: name, newTag: tag } : i)
    writeFileSync(file, stringify(k))
  }
  for (const overlay of overlays) {
    const objs = render(kubectl, join(copy, 'manifests/overlays', overlay))
    const images = objs.filter((o) => o.spec?.template !== undefined).flatMap((o) => (o.spec.template.spec.containers as Array<{ image: string }>).map((c) => c.image))
    t.ok(images.length > 0 && images.every((i) => i.startsWith('REGISTRY/lanner:')), `${overlay}: ${images.join(', ')}`)
  }
})

t.test('each recipe says when 127.0.0.1:30007 works and gives the alternatives', async (t) => {
  for (const f of ['setup-kops.md', 'setup-minikube.md', 'setup-kind.md', 'deploy.md']) {
    const text = readFileSync(join(REPO, 'docs', f), 'utf8')
    t.match(text, /127\.0\.0\.1:30007/, `${f}: names the default address`)
    t.match(text, /iptables mode/, `${f}: only with kube-proxy in iptables mode`)
    t.match(text, /ipvs/, `${f}: not ipvs`)
    t.match(text, /nftables/, `${f}: not nftables`)
    t.match(text, /node's IP/, `${f}: alternative: the node's IP`)
    t.match(text, /hostNetwork/, `${f}: alternative: hostNetwork`)
  }
  t.match(readFileSync(join(REPO, 'docs/setup-kops.md'), 'utf8'), /isolateControlPlane/, 'kOps: the control plane without kube-proxy')
})
