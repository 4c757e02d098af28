import { writeFileSync } from 'node:fs';
import { sparkTableSql } from './table.js';
writeFileSync(process.argv[2]!, sparkTableSql());
