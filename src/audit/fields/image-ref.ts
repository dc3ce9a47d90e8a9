// Container image references: the repository part of `[registry[:port]/]path[:tag][@digest]`.

/**
 * The image without tag and digest. Unlike upstream (text before the first ':'), a registry port
 * is kept: `myreg:5000/app:1` → `myreg:5000/app`. No `docker.io/` prefix is added.
 */
export function imageRepository (image: string): string {
  let s = image
  const at = s.indexOf('@')
  if (at !== -1) s = s.slice(0, at)
  const colon = s.lastIndexOf(':')
  if (colon > s.lastIndexOf('/')) s = s.slice(0, colon)
  return s
}
