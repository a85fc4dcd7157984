import cluster from 'node:cluster'
import { Command, CommanderError } from 'commander'
import { isGatehouseError } from '../domain/errors.js'
import type { Output } from './output.js'
import { processOutput } from './output.js'
import { registerOrgCommands } from './commands/org-commands.js'
import { registerUserCommands } from './commands/user-commands.js'
import { registerProjectCommands } from './commands/project-commands.js'
import { registerProjectSecretCommands } from './commands/project-secret-commands.js'
import { registerSigningKeyCommands } from './commands/signing-key-commands.js'
import { registerTokenCommands } from './commands/token-commands.js'
import { registerTenantCommands } from './commands/tenant-commands.js'
import { registerKeyCommands } from './commands/key-commands.js'
import { registerMigrateCommand, registerServeCommand } from './commands/serve-command.js'
import { registerAuditCommands } from './commands/audit-commands.js'
import { registerApplyCommand } from './commands/apply-command.js'
import { registerDemoCommand } from './commands/demo-command.js'
import { registerRunToolCommand } from './commands/run-tool-command.js'
import { registerExplainCommand } from './commands/explain-command.js'
import { registerOAuthCommands } from './commands/oauth-commands.js'

export function buildProgram(output: Output = processOutput): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted MCP server for governed access to your data')
    .version('0.1.0')
    .option('--config <path>', 'the server config file (default ./gatehouse.yaml)')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride()
  registerDemoCommand(program, output)
  registerServeCommand(program, output)
  registerMigrateCommand(program, output)
  registerOrgCommands(program, output)
  registerUserCommands(program, output)
  registerTenantCommands(program, output)
  registerProjectSecretCommands(registerProjectCommands(program, output), output)
  registerKeyCommands(program, output)
  registerSigningKeyCommands(program, output)
  registerTokenCommands(program, output)
  registerOAuthCommands(program, output)
  registerApplyCommand(program, output)
  registerRunToolCommand(program, output)
  registerExplainCommand(program, output)
  registerAuditCommands(program, output)
  return program
}

/** Runs the CLI; resolves with the exit code. Errors go to stderr: the message, never a stack. */
export async function run(argv: readonly string[], output: Output = processOutput): Promise<number> {
  const program = buildProgram(output)
  try {
    await program.parseAsync([...argv])
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2
    }
    if (isGatehouseError(error)) {
      output.err(`error: ${error.message}`)
      return 1
    }
    output.err(`error: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  process.exitCode = await run(argv)
  // A `serve --workers` worker's IPC channel to the primary would keep it alive once everything else is closed.
  if (cluster.isWorker) process.disconnect()
}
