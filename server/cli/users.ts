/** `verikiosk users add|list|disable|unlock`: staff users. */
import { Option, type Command } from 'commander';
import {
  STAFF_ROLES,
  addStaffUser,
  disableStaffUser,
  generatePassword,
  listStaffUsers,
  unlockStaffUser,
  type StaffRole,
} from '../auth/index.js';
import { withVault } from './context.js';
import { printJson, printLine, printTable, readSecretFile, type CliIo } from './io.js';
import { withUnlock, type CommonOptions } from './options.js';

export function addUserCommands(program: Command, io: CliIo): void {
  const users = program.command('users').description('staff users');
  withUnlock(users.command('add').description('add a staff user; prints a generated password once'))
    .argument('<username>')
    .addOption(new Option('--role <role>', 'the role').choices([...STAFF_ROLES]).default('staff'))
    .option('--password-file <file>', 'set this password instead of generating one')
    .option('--json', 'print JSON')
    .action(
      async (username: string, o: CommonOptions & { role: StaffRole; passwordFile?: string }) => {
        const password = o.passwordFile
          ? readSecretFile(o.passwordFile, 'password')
          : generatePassword();
        const user = await withVault(o, io, ({ vault }) =>
          addStaffUser(
            vault,
            { username, role: o.role, password, mustChangePassword: !o.passwordFile },
            'cli',
          ),
        );
        if (o.json) printJson(io.stdout, { user, ...(o.passwordFile ? {} : { password }) });
        else {
          printLine(io.stdout, `added ${user.username} (${user.role}, id ${user.id})`);
          if (!o.passwordFile)
            printLine(
              io.stdout,
              `password (shown once, must be changed at first login): ${password}`,
            );
        }
      },
    );
  withUnlock(users.command('list').description('list staff users'))
    .option('--json', 'print JSON')
    .action(async (o: CommonOptions) => {
      const list = await withVault(o, io, ({ vault }) => listStaffUsers(vault));
      if (o.json) printJson(io.stdout, list);
      else
        printTable(
          io.stdout,
          ['username', 'role', 'id', 'created', 'state'],
          list.map((u) => [
            u.username,
            u.role,
            u.id,
            u.createdAt,
            u.disabledAt ? `disabled ${u.disabledAt}` : 'active',
          ]),
        );
    });
  withUnlock(
    users
      .command('disable')
      .description('disable a staff user (the last admin cannot be disabled)'),
  )
    .argument('<username>')
    .action(async (username: string, o: CommonOptions) => {
      const user = await withVault(o, io, ({ vault }) => disableStaffUser(vault, username, 'cli'));
      printLine(io.stdout, `disabled ${user.username}`);
    });
  withUnlock(users.command('unlock').description('lift a login lock and forget the failed logins'))
    .argument('<username>')
    .action(async (username: string, o: CommonOptions) => {
      const user = await withVault(o, io, ({ vault }) => unlockStaffUser(vault, username, 'cli'));
      printLine(io.stdout, `unlocked ${user.username}`);
    });
}
