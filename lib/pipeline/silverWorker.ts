import { ownBuffer, serveTasks } from '../platform/workerPool.js';
import { loadLoincMap, loadRegionMap, patientIdHasher } from '../standards/index.js';
import { prepareSilver, type PreparedSilver, type SilverInput, type SilverWorkerData, type StaticStandards } from './silverPrepare.js';

/**
 * Worker thread of silver units (pooledSilverPreparers): standardizes a unit's bronze files and
 * hands back its encoded silver files, moving their buffers rather than copying them.
 */
let standards: StaticStandards | undefined;

serveTasks<SilverInput, PreparedSilver>((input, data) => {
  const { config, piiKey } = data as SilverWorkerData;
  standards ??= { loinc: loadLoincMap(config), regions: loadRegionMap(config), hashPatientId: patientIdHasher(Buffer.from(piiKey)) };
  const prepared = prepareSilver(input, standards);
  const partitions = prepared.partitions.map(({ value, file }) => ({ value, file: { ...file, data: ownBuffer(file.data), keysData: ownBuffer(file.keysData) } }));
  return {
    result: { ...prepared, partitions },
    transfer: partitions.flatMap(({ file }) => [file.data.buffer, file.keysData.buffer, file.modifiedAt.buffer] as ArrayBuffer[]),
  };
});
