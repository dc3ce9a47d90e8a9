// When rules reloads run: never two at once (calls during a reload coalesce into one more run
// afterwards, so the last installed set reflects the latest inputs), and none before the first
// load has settled (requests made then wait for it and run once, or resolve false when the first
// load installed nothing: the instance is not starting, there is nothing to reload into).

export interface ReloadQueueDeps {
  /** one reload; resolves whether a ruleset was installed */
  reloadOnce(reason: string): Promise<boolean>
  /** whether the first load installed a ruleset */
  hasRules(): boolean
}

export class RulesReloadQueue {
  readonly #deps: ReloadQueueDeps
  #firstLoadSettled = false
  readonly #firstLoad: Promise<void>
  #settleFirstLoad!: () => void
  #afterFirstLoad: Promise<boolean> | undefined
  #running: Promise<boolean> | undefined
  #again = false

  constructor (deps: ReloadQueueDeps) {
    this.#deps = deps
    this.#firstLoad = new Promise<void>((resolve) => { this.#settleFirstLoad = resolve })
  }

  /** the first load ended (installed or not): waiting requests run now */
  firstLoadSettled (): void {
    this.#firstLoadSettled = true
    this.#settleFirstLoad()
  }

  async request (reason: string): Promise<boolean> {
    if (this.#firstLoadSettled) return await this.#reloadNow(reason)
    this.#afterFirstLoad ??= this.#firstLoad.then(async () => {
      this.#afterFirstLoad = undefined
      if (!this.#deps.hasRules()) return false
      return await this.#reloadNow(`${reason} (requested during the first load)`)
    })
    return await this.#afterFirstLoad
  }

  async #reloadNow (reason: string): Promise<boolean> {
    if (this.#running !== undefined) { this.#again = true; return await this.#running }
    this.#running = this.#reloadWhileAsked(reason).finally(() => { this.#running = undefined })
    return await this.#running
  }

  async #reloadWhileAsked (reason: string): Promise<boolean> {
    let ok = await this.#deps.reloadOnce(reason)
    while (this.#again) {
      this.#again = false
      ok = await this.#deps.reloadOnce(`${reason} (coalesced)`)
    }
    return ok
  }
}
