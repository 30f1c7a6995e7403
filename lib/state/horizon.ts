import { RestError, type TableClient } from '@azure/data-tables';

interface HorizonEntity {
  partitionKey: string;
  rowKey: string;
  day: string;
}

/**
 * The latest event day that silver holds: gold does not compute feature days past the data.
 * One small entity, moved forward only (ETag-conditional), so concurrent silver units agree.
 */
export class DataHorizon {
  constructor(private readonly table: TableClient) {}

  async latestDay(): Promise<string | undefined> {
    try {
      return (await this.table.getEntity<HorizonEntity>('silver', 'latest_day')).day;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async advanceTo(day: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let current: (HorizonEntity & { etag: string }) | undefined;
      try {
        current = await this.table.getEntity<HorizonEntity>('silver', 'latest_day');
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
      if (current && current.day >= day) return;
      try {
        const entity = { partitionKey: 'silver', rowKey: 'latest_day', day };
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return;
      } catch (error) {
        if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))) throw error;
      }
    }
    throw new Error(`Could not move the data horizon to ${day}: too many concurrent updates`);
  }
}
