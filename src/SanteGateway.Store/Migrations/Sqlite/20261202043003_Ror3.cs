using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Ror3 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_CityKey",
                table: "ror_resources",
                columns: new[] { "ResourceType", "CityKey" });

            migrationBuilder.CreateIndex(
                name: "IX_ror_resources_ResourceType_PostalCode",
                table: "ror_resources",
                columns: new[] { "ResourceType", "PostalCode" });

            // Offers carry their place's commune from now on (the sync keeps it): fill it for the offers already mirrored.
            migrationBuilder.Sql("""
                UPDATE ror_resources SET
                  "CommuneCode" = COALESCE((SELECT l."CommuneCode" FROM ror_resources l WHERE l."ResourceType" = 'Location' AND l."ResourceId" = ror_resources."LocationId"),
                                           (SELECT g."CommuneCode" FROM ror_resources g WHERE g."ResourceType" = 'Organization' AND g."ResourceId" = ror_resources."OrganizationId")),
                  "PostalCode" = COALESCE((SELECT l."PostalCode" FROM ror_resources l WHERE l."ResourceType" = 'Location' AND l."ResourceId" = ror_resources."LocationId"),
                                          (SELECT g."PostalCode" FROM ror_resources g WHERE g."ResourceType" = 'Organization' AND g."ResourceId" = ror_resources."OrganizationId")),
                  "CityKey" = COALESCE((SELECT l."CityKey" FROM ror_resources l WHERE l."ResourceType" = 'Location' AND l."ResourceId" = ror_resources."LocationId"),
                                       (SELECT g."CityKey" FROM ror_resources g WHERE g."ResourceType" = 'Organization' AND g."ResourceId" = ror_resources."OrganizationId"))
                WHERE "ResourceType" = 'HealthcareService'
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ror_resources_ResourceType_CityKey",
                table: "ror_resources");

            migrationBuilder.DropIndex(
                name: "IX_ror_resources_ResourceType_PostalCode",
                table: "ror_resources");
        }
    }
}
