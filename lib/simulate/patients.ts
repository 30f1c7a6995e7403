import { REGIONS, postalCodeIn } from './regions.js';
import type { Rng } from './random.js';
import { DAY_MS } from '../calendar/days.js';

/** A simulated patient: the PII a LIMS holds, built once so result rows only copy references. */
export interface Patient {
  readonly id: string;
  readonly name: string;
  /** Epoch ms of midnight UTC. */
  readonly dateOfBirth: number;
  readonly sex: 'F' | 'M' | 'U';
  readonly postalCode: string;
  readonly region: number;
}

const FEMALE_NAMES = [
  'Anna', 'Maria', 'Emma', 'Sofia', 'Olivia', 'Mia', 'Laura', 'Julia', 'Sara', 'Lea', 'Hannah', 'Nora', 'Elena', 'Clara',
  'Ines', 'Amira', 'Fatima', 'Yuki', 'Mei', 'Priya', 'Aisha', 'Chloe', 'Lucia', 'Marta', 'Ingrid', 'Zoe', 'Alice', 'Grace',
  'Helen', 'Irene', 'Jana', 'Katarina', 'Linda', 'Monika', 'Nadia', 'Paula', 'Rosa', 'Teresa', 'Vera', 'Wanda',
];
const MALE_NAMES = [
  'Lukas', 'Jonas', 'Noah', 'Elias', 'Leon', 'Paul', 'Felix', 'David', 'Daniel', 'Thomas', 'Michael', 'Peter', 'Omar',
  'Ahmed', 'Kenji', 'Wei', 'Arjun', 'Mateo', 'Luca', 'Marco', 'Jan', 'Piotr', 'Ivan', 'Erik', 'Oscar', 'Hugo', 'Samuel',
  'Adam', 'Benjamin', 'Carlos', 'Diego', 'Emil', 'Frank', 'George', 'Henrik', 'Karl', 'Martin', 'Nils', 'Robert', 'Stefan',
];
const FAMILY_NAMES = [
  'Muller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Schulz', 'Koch', 'Richter',
  'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Braun', 'Zimmermann', 'Kruger', 'Hartmann', 'Lange', 'Werner', 'Krause', 'Lehmann',
  'Smith', 'Johnson', 'Brown', 'Garcia', 'Martinez', 'Rossi', 'Russo', 'Bianchi', 'Dubois', 'Martin', 'Bernard', 'Petit',
  'Kowalski', 'Nowak', 'Novak', 'Horvat', 'Jensen', 'Nielsen', 'Hansen', 'Larsen', 'Andersson', 'Johansson', 'Virtanen',
  'Korhonen', 'Yilmaz', 'Kaya', 'Demir', 'Sahin', 'Nguyen', 'Tran', 'Le', 'Kim', 'Lee', 'Park', 'Chen', 'Wang', 'Li', 'Zhang',
  'Singh', 'Kumar', 'Patel', 'Sharma', 'Khan', 'Ali', 'Hassan', 'Ibrahim', 'Silva', 'Santos', 'Oliveira', 'Costa', 'Pereira',
  'Ivanov', 'Petrov', 'Popescu', 'Papadopoulos', 'Murphy', 'OBrien', 'Kelly', 'Walsh', 'Novotny', 'Dvorak', 'Horvath',
];

const YEAR_MS = 365.25 * DAY_MS;

/** Lab patients skew old: 10% children, 52% adults under 65, 38% aged 65 to 95. */
function ageInYears(rng: Rng): number {
  const u = rng.next();
  if (u < 0.1) return rng.uniform(0, 18);
  if (u < 0.62) return rng.uniform(18, 65);
  return rng.uniform(65, 95);
}

function sexOf(rng: Rng): Patient['sex'] {
  const u = rng.next();
  return u < 0.51 ? 'F' : u < 0.995 ? 'M' : 'U';
}

/** Every first-name/family-name pair, built once: patients share these strings. */
function fullNames(firstNames: readonly string[]): string[] {
  return firstNames.flatMap((first) => FAMILY_NAMES.map((family) => `${first} ${family}`));
}

/** Patients per region, sized by region population; `total` patients overall. */
export function buildPatientPools(total: number, startMs: number, rng: Rng): Patient[][] {
  const population = REGIONS.reduce((sum, r) => sum + r.population, 0);
  const female = fullNames(FEMALE_NAMES);
  const male = fullNames(MALE_NAMES);
  let serial = 0;
  return REGIONS.map((region, regionIndex) => {
    const count = Math.max(50, Math.round((total * region.population) / population));
    return Array.from({ length: count }, (): Patient => {
      const sex = sexOf(rng);
      const names = sex === 'M' ? male : sex === 'F' ? female : rng.chance(0.5) ? male : female;
      const birth = startMs - ageInYears(rng) * YEAR_MS;
      serial++;
      return {
        id: `P${String(serial).padStart(7, '0')}`,
        name: rng.pick(names),
        dateOfBirth: Math.floor(birth / DAY_MS) * DAY_MS,
        sex,
        postalCode: postalCodeIn(region, rng.next(), rng.next()),
        region: regionIndex,
      };
    });
  });
}
