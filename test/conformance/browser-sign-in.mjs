/* global process */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

/** Debian's Chromium, as in test/support/browser.ts (installed by `.ci/run`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Fails when there is no Chromium to sign in with (checked before anything starts). */
export function assertChromium() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}; .ci/run installs Debian's chromium package`)
  }
}

/** Headless Chromium with the flags of test/support/browser.ts: no sandbox (root), no background networking. */
export async function launchBrowser() {
  assertChromium()
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}

/**
 * Does what the suite asks of a person: opens its authorization URL, signs in
 * on Gatehouse's login page, approves on the consent page (the user's only
 * org and its projects are preselected), and lets the browser follow the
 * redirect to the suite's callback. A fresh browser context each time, so
 * every authorization goes through both pages. Screenshots of each page are
 * left in `artifacts` (the one of a failure too). Resolves with the URL the
 * browser ended on: the callback with `code`, `state` and `iss`.
 */
export async function signInAndApprove(browser, { url, email, password, callbackUrl, artifacts, label, log }) {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  const shot = (name) =>
    page.screenshot({ path: join(artifacts, `${label}-${name}.png`), fullPage: true }).catch(() => undefined)
  try {
    await page.goto(url)
    await page.waitForURL(/\/login\/[^/?]+/)
    await shot('login')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/consent\/[^/?]+/)
    await shot('consent')
    log(`  browser: signed in as ${email}; consent page: ${(await page.locator('h1').innerText()).trim()}`)
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.waitForURL((u) => u.href.startsWith(`${callbackUrl}?`))
    const landed = page.url()
    log(`  browser: approved; redirected to ${landed.replace(/code=[^&]+/, 'code=…')}`)
    return landed
  } catch (error) {
    await shot('failure')
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '')
    throw new Error(
      `signing in through the browser failed at ${page.url()}: ${error instanceof Error ? error.message : error}\n` +
        `page text: ${text.slice(0, 800)}`,
    )
  } finally {
    await context.close()
  }
}
