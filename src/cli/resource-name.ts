import { InputError } from '../domain/errors.js'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

/**
 * Refuses a name that is not 1–63 letters, digits, ".", "_" or "-", or that is
 * shaped like an id: `--org` and `--project` take a name or an id, so a name
 * like `org_…` would make them ambiguous.
 */
export function assertResourceName(
  name: string,
  what: 'organization' | 'project' | 'tenant',
  idPrefix: 'org_' | 'prj_' | 'ten_',
): void {
  if (!NAME.test(name) || name.startsWith(idPrefix)) {
    throw new InputError(
      `"${name}" is not a valid ${what} name: use 1–63 letters, digits, ".", "_" or "-", not starting with ${idPrefix}`,
    )
  }
}
