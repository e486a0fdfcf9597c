using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Ror2 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ror_resources",
                columns: table => new
                {
                    ResourceType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ResourceId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    VersionId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    LastUpdatedTicks = table.Column<long>(type: "INTEGER", nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    NameKey = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    Identifier = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    OrganizationId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    LocationId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    ServiceId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    PractitionerId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    CommuneCode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    CityKey = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    PostalCode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Codes = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    Summary = table.Column<string>(type: "TEXT", nullable: true),
                    Region = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    SeenInRun = table.Column<long>(type: "INTEGER", nullable: false),
                    SyncedAtTicks = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ror_resources", x => new { x.ResourceType, x.ResourceId });
                });

            migrationBuilder.CreateTable(
                name: "ror_sync_state",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    LeaseOwner = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    LeaseUntilTicks = table.Column<long>(type: "INTEGER", nullable: false),
                    Phase = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    RunNumber = table.Column<long>(type: "INTEGER", nullable: false),
                    ExportJob = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    ExportFilesDone = table.Column<int>(type: "INTEGER", nullable: false),
                    SinceTicks = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAtTicks = table.Column<long>(type: "INTEGER", nullable: false),
                    SucceededAtTicks = table.Column<long>(type: "INTEGER", nullable: true),
                    LastFullAtTicks = table.Column<long>(type: "INTEGER", nullable: true),
                    LastKind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    LastStored = table.Column<int>(type: "INTEGER", nullable: false),
                    LastDeleted = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    FailedAtTicks = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ror_sync_state", x => x.Id);
                });

            migrationBuilder.InsertData(
                table: "ror_sync_state",
                columns: new[] { "Id", "ExportFilesDone", "ExportJob", "FailedAtTicks", "LastDeleted", "LastError", "LastFullAtTicks", "LastKind", "LastStored", "LeaseOwner", "LeaseUntilTicks", "Phase", "RunNumber", "SinceTicks", "StartedAtTicks", "SucceededAtTicks" },
                values: new object[] { 1, 0, null, null, 0, null, null, null, 0, null, 0L, "idle", 0L, 0L, 0L, null });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_CommuneCode",
                table: "ror_resources",
                columns: new[] { "ResourceType", "CommuneCode" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_LocationId",
                table: "ror_resources",
                columns: new[] { "ResourceType", "LocationId" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_NameKey",
                table: "ror_resources",
                columns: new[] { "ResourceType", "NameKey" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_OrganizationId",
                table: "ror_resources",
                columns: new[] { "ResourceType", "OrganizationId" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_ServiceId",
                table: "ror_resources",
                columns: new[] { "ResourceType", "ServiceId" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_SeenInRun",
                table: "ror_resources",
                column: "SeenInRun");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ror_resources");

            migrationBuilder.DropTable(
                name: "ror_sync_state");
        }
    }
}
